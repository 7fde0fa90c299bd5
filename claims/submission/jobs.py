"""Sending claims out, on the job queue (`ptclinic.jobs`)."""
