"""nodeforge.analysis"""
