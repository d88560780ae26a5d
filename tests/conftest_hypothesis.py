"""Hypothesis profiles for the test suite; pick one with HYPOTHESIS_PROFILE (default "ci").

- ci: 2,000 examples per property test, the bar every change has to pass;
- dev: 200 examples, for quick local runs;
- thorough: 20,000 examples, for an occasional deep run.

Example counts are set here only, never on individual tests.
"""
import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}

settings.register_profile("ci", max_examples=2000, **_COMMON)
settings.register_profile("dev", max_examples=200, **_COMMON)
settings.register_profile("thorough", max_examples=20000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The request fuzz (tests/security/test_fuzz.py) sends one request per example through the whole app:
# its counts per profile, so that the ci run stays within about a minute.
REQUEST_FUZZ_EXAMPLES = {"ci": 400, "dev": 60, "thorough": 4000}[os.environ.get("HYPOTHESIS_PROFILE", "ci")]

# The payment-life state machine (tests/proof/test_payment_life.py) runs whole sequences of requests per
# example (about 0.45 s of CPU each): its sequences per profile; `make soak` runs 1,000.
PAYMENT_LIFE_SEQUENCES = {"ci": 200, "dev": 30, "thorough": 2000}[os.environ.get("HYPOTHESIS_PROFILE", "ci")]
