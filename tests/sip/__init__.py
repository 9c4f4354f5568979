"""SIP test peers (sipp, kamailio) for Ringback's call controller."""
