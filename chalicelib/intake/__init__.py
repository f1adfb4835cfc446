"""Employee reports: each channel turns its input into the same Report record."""
