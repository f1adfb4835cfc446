"""sharedwatch: social-media reputation as everyone's job."""
