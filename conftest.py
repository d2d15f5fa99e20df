pytest_plugins = ["ecrconf.run.plugin"]
