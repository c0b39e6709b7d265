"""Two throw-away apps that prove the error catalogue is found through the app registry."""
