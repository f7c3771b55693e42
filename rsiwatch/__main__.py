from rsiwatch.cli import main

main()
