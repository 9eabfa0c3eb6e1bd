"""Learning users' satisfaction sensitivities from logs, with and without their latent intents."""
