"""A pytest plugin for the calibration's runs of the suite (-p): its Hypothesis profile, without shrinking.

Shrinking makes a failing example small for a reader; the verdict is the same without it, and against
a mutant it can cost minutes (every step is a request).
"""

from hypothesis import Phase, settings

import ecrconf.run.plugin  # noqa: F401  registers the "conformance" profile this one derives from

settings.register_profile("calibration", settings.get_profile("conformance"),
                          phases=(Phase.explicit, Phase.reuse, Phase.generate))
