"""Customer returns (RMA lines): mirrored from files, the API and webhooks; triaged in warehouse control."""
