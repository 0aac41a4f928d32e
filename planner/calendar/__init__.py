"""Calendar files in and out: a person's own .ics files become busy blocks (``busy``)."""
