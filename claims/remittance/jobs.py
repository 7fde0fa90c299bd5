"""Money back, on the job queue (`ptclinic.jobs`)."""
