from specadvisor.entry import main

main()
