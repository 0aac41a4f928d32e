"""The terminal UIs: the organiser's app (:mod:`planner.tui.app`) and the participant's
(:mod:`planner.tui.respond`). Only this package and ``planner.cli`` import Textual."""
