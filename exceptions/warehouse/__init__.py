"""Warehouse control: the supervisor's workspace (shipping commitments by carrier cut-off, lines that will miss their
cut-off, wave resequencing, stock pulls, receiving priority, labor against planned work), scoped to their locations."""
