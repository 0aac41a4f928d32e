"""Modal screens: forms, pickers, previews and the help screen."""
