from guardrail.cli.main import main

main()
