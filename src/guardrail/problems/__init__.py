"""Problem management: problems and known errors, postmortems, action items."""
