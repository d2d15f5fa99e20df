pytest_plugins = ["ecrconf.plugin"]
