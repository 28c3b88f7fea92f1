from hoctap.cli import run

run()
