"""``python -m index``: the same command line as ``crisisbot``.

Only this entry point reaches into the front end; the library modules of
``index`` never import the CLI or Discord.
"""

from bot.cli import main

main()
