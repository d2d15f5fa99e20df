"""Evidence from recordings of real ECR: ``python -m ecrconf.evidence DIR`` (see ``__main__``); the entries
are built by ``ecrconf.evidence.entries``, read back by ``ecrconf.spec.recorded``."""
