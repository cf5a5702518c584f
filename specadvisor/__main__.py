from specadvisor.cli.app import main

main()
