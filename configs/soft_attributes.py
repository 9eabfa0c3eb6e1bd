"""The soft-attribute model (recsim_ng/applications/cav_synthetic_model): users rate and tag
documents whose attributes they perceive through concept activation vectors.

    python -m recsim_ng simulate --config=configs/soft_attributes.py
    python -m recsim_ng simulate --config=configs/soft_attributes.py --config.save_trajectory=True

simulate: ratings per user, the rating histogram (plots/), the share of tagging users, tag rates
and tag/attribute correlations per tag, popularity of rated documents against the corpus. The
defaults (1,000 users, 100 documents, seed 0) reproduce README.md's "Applications" numbers: 5.37
ratings per user, rating histogram 0.25 / 0.14 / 0.16 / 0.15 / 0.30, 21.2% of users tag,
tag/attribute correlation 0.53-0.91, rated documents' popularity 0.578 against 0.489.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.application = "soft_attributes"
    config.seed = 0  # the seed of every random draw of the run
    config.run_dir = "runs/soft_attributes"  # the run's files (reruns redo the mode)
    config.overwrite = False  # delete a run stored in run_dir first
    config.num_users = 1000  # users simulated together
    config.num_docs = 100  # at least 10: a user rates up to 10 distinct documents
    config.num_topics = 3  # topic k is high (0.8) on attributes j with j % num_topics == k
    config.dimension = 8  # soft attributes per document
    config.num_tags = 5  # the first num_tags attributes can be tagged (< dimension)
    config.num_subjective_tag_groups = 1  # groups of tags users read in different senses
    config.subjective_tag_group_size = 2  # tags per subjective group (groups * size <= tags)
    config.save_trajectory = False  # keep the simulated population in run_dir/trajectory.npz
    return config
