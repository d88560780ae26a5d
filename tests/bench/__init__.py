"""`make bench`: the shop under gunicorn against a bare Flask route, the admin at scale, Klarna calls.

Measures and prints; asserts nothing (`make test` does not run it). See README "Performance".
"""
