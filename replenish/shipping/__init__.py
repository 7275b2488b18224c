"""Carriers and their pickup cut-offs per location: master data (imported like the rest) that warehouse control
plans shipping commitments against."""
