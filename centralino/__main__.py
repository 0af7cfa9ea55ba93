from centralino.app.cli import main

main()
