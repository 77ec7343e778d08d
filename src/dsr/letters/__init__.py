"""Response letters: Word templates per kind and language, rendered, archived and sent."""
