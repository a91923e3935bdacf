"""Reading the report text: the figures, goals and budget amounts a narrative states."""
