"""The SKU-location explanation: one page, one command (`manage.py explain`) and one API endpoint, one source."""
