"""`python -m recsim_ng`: the command-line runner (usage: recsim_ng/cli/main.py)."""


from recsim_ng.cli.main import run

run()
