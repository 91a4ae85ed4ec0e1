"""Made-up data, kept apart from the rules: the offline demo (`seed.demo_setup`), the city-sized
load-test database (`seed.seed`, `city`) and the fictional people both draw from (`synthetic`).
Nothing in the kiosk or the review terminal imports these outside demo mode."""
