"""Widgets: one pane per tab of the organiser's app, and the week grid they share."""
