"""nodeforge.catalog"""
