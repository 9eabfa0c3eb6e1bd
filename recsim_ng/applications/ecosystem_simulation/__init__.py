"""Provider viability and social welfare in a recommender ecosystem (RecSim NG's ecosystem)."""
