"""HTTP layers: parse the request, call the domain, render the answer."""
