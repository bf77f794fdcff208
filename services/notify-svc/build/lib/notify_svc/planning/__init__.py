"""Planning one message: who gets what, on which channel, when, or why not."""
