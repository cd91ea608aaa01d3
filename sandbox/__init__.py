"""nodeforge.sandbox"""
