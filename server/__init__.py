"""nodeforge.server"""
