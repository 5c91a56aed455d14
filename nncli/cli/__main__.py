from nncli.cli.app import main

main()
