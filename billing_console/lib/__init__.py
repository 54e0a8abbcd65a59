"""Pure helpers shared by every app. Nothing here imports Django."""
