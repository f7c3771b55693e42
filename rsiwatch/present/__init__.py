"""Helpers both web apps use (the review page and the published site): how a work and its text are
presented, LaTeX as text, security headers; below both, so neither imports the other."""
