from specadvisor.cli import main

main()
