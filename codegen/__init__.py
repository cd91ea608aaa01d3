"""nodeforge.codegen"""
