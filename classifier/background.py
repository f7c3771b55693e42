"""A hand-written background of ordinary machine-learning papers: weak negatives that ship with the code.

Why: on the first crawl of a new user the pool may hold a few dozen items, and then the model has
almost nothing that tells it which words are *ordinary* (``model``, ``training``, ``accuracy``,
``dataset``, ``transformer`` ...). Without that, a word never seen in the pool is neutral while every
word of a pool item is pushed down, so an in-scope paper that happens to be in the pool ranks below
unseen filler. These pseudo-abstracts, written for this project (not taken from any data set), cover the
applied and methodological topics that make up most of an ML arXiv listing, in the plain phrasing such
papers use. They are weak negatives at every pool size; with a real pool their weight is negligible
next to the stream's.

Each entry is (title, summary). None describes AI doing work on AI development (the catalog's rule):
they are AI applied to other fields, ordinary training on human-made data, human-designed
architectures, ordinary benchmarks and theory.
"""

from __future__ import annotations

from .docs import Doc

BACKGROUND: tuple[tuple[str, str], ...] = (
    # vision
    ("Real-time object detection for aerial images", "A lightweight convolutional detector finds small vehicles and buildings in drone imagery with improved accuracy and speed."),
    ("Semantic segmentation of urban street scenes", "We propose an encoder-decoder network with multi-scale attention that improves mean IoU on driving benchmarks."),
    ("Novel view synthesis with neural radiance fields", "A hash-grid radiance field renders photorealistic views of indoor rooms from a few posed photographs."),
    ("Video action recognition with spatio-temporal transformers", "A video transformer models motion across frames and achieves state-of-the-art accuracy on action recognition datasets."),
    ("Image super-resolution with diffusion models", "A conditional diffusion model restores high-resolution details from low-resolution photographs."),
    ("Monocular depth estimation for indoor scenes", "A self-supervised network predicts dense depth maps from single images using photometric consistency."),
    ("Face anti-spoofing under domain shift", "We learn domain-invariant features that detect presentation attacks on unseen cameras and lighting."),
    ("3D point cloud classification with graph convolutions", "Dynamic graph convolutions over lidar point clouds improve shape classification and part segmentation."),
    ("Text-to-image generation with controllable layout", "A latent diffusion model follows user-specified bounding boxes to generate images with better composition."),
    # medicine and science
    ("Tumour segmentation in brain MRI with a 3D U-Net", "A three-dimensional U-Net segments gliomas in magnetic resonance scans and is evaluated with Dice scores."),
    ("Deep learning for diabetic retinopathy screening", "A convolutional classifier grades retinal fundus photographs and matches ophthalmologists on a clinical test set."),
    ("Predicting patient mortality from electronic health records", "A recurrent model over clinical visits predicts in-hospital mortality and readmission risk."),
    ("Protein function prediction with geometric deep learning", "An equivariant network predicts enzyme function and binding sites from amino acid sequences and structures."),
    ("Molecular property prediction with graph neural networks", "Message passing networks predict solubility and toxicity of drug-like molecules."),
    ("Weather forecasting with vision transformers", "A transformer trained on reanalysis data forecasts global temperature and precipitation fields days ahead."),
    ("Physics-informed neural networks for fluid dynamics", "We solve the Navier-Stokes equations with neural networks constrained by the governing partial differential equations."),
    ("Crop yield estimation from satellite imagery", "Multispectral satellite time series and a temporal convolutional network estimate harvests at field level."),
    ("Materials discovery with machine learning potentials", "Interatomic potentials trained on density functional theory data accelerate molecular dynamics simulations of alloys."),
    # speech, audio, language
    ("Conformer acoustic models for speech recognition", "A conformer encoder with language model rescoring reduces word error rate on read and conversational speech."),
    ("Speaker diarization in meetings", "An end-to-end neural model segments conversations by speaker and handles overlapping speech."),
    ("Music generation with transformers", "A symbolic music model generates multi-instrument compositions conditioned on style and tempo."),
    ("Neural machine translation for low-resource language pairs", "Back-translation and multilingual pretraining improve translation quality measured by BLEU."),
    ("Sentiment analysis of social media posts", "A fine-tuned BERT model classifies the sentiment and emotion of tweets in several languages."),
    ("Named entity recognition in clinical notes", "A domain-adapted language model extracts drugs, dosages and diagnoses from hospital records."),
    ("Dialogue summarisation with pretrained encoders", "A pretrained encoder-decoder summarises customer service conversations and is scored with ROUGE and human ratings."),
    ("Retrieval-augmented question answering over Wikipedia", "A dense retriever and a reader model answer open-domain questions with cited passages."),
    ("Contract clause classification with language models", "We annotate commercial contracts and compare fine-tuned encoders with prompted chat models on clause types."),
    ("Evaluating large language models on medical exams", "We benchmark several chat models on licensing exam questions and analyse their errors."),
    ("Detecting hate speech with multilingual transformers", "We fine-tune multilingual encoders on annotated posts and study cross-lingual transfer."),
    ("Instruction tuning a language model on human-written dialogues", "We fine-tune an open model on a curated human-annotated dialogue corpus and report gains on helpfulness benchmarks."),
    ("Hallucination in vision-language models", "We measure object hallucination of multimodal models on image captioning and visual question answering."),
    # robotics, driving, control
    ("3D object detection from lidar for autonomous vehicles", "A voxel-based detector localises cars and cyclists in lidar sweeps and runs on an embedded GPU."),
    ("Trajectory prediction of pedestrians for self-driving cars", "A social attention model forecasts pedestrian paths from past positions and scene context."),
    ("Robotic grasping from depth images", "A robot arm learns grasp poses for household objects from depth sensors and tactile feedback."),
    ("Legged robot locomotion with reinforcement learning", "A quadruped learns to walk on rough terrain in simulation and transfers the policy to hardware."),
    ("Model predictive control for building energy management", "A learned dynamics model and model predictive control reduce heating costs in office buildings."),
    # graphs, time series, recommendation, tabular
    ("Ride-hailing demand prediction", "A spatio-temporal model predicts hourly taxi demand across city zones from trip records and weather."),
    ("Anomaly detection in multivariate time series", "A reconstruction-based autoencoder detects faults in industrial sensor data."),
    ("Sequential recommendation with contrastive learning", "Contrastive objectives over user interaction sequences improve next-item recommendation."),
    ("Fraud detection in financial transactions", "Gradient boosted trees and graph features detect fraudulent credit card payments."),
    ("Stock return prediction with temporal attention", "An attention model over price histories and news predicts daily stock returns."),
    ("Link prediction in knowledge graphs", "Knowledge graph embeddings score missing relations between entities."),
    ("Energy demand forecasting for power grids", "A probabilistic forecasting model predicts hourly electricity load with quantile loss."),
    # learning methods and theory (ordinary, human-designed)
    ("Personalised federated learning for mobile keyboards", "Next-word prediction models are trained across phones without collecting text, with per-user adaptation layers."),
    ("Differential privacy for deep learning", "We train neural networks with per-example gradient clipping and noise and analyse the privacy-utility trade-off."),
    ("Convergence analysis of stochastic gradient descent", "We prove convergence rates of SGD with momentum for non-convex objectives under smoothness assumptions."),
    ("Generalization bounds for overparameterized networks", "A PAC-Bayesian analysis explains why wide neural networks generalize despite interpolating the training data."),
    ("Adversarial robustness of image classifiers", "We study adversarial examples and evaluate adversarial training against projected gradient attacks."),
    ("Continual learning without catastrophic forgetting", "A replay buffer and regularisation preserve accuracy on earlier tasks when learning new ones."),
    ("Domain adaptation for semantic segmentation", "Adversarial feature alignment transfers a segmentation model from synthetic to real street images."),
    ("Uncertainty estimation with deep ensembles", "Ensembles of neural networks give calibrated predictive uncertainty on out-of-distribution inputs."),
    ("Causal inference from observational data with neural networks", "A representation learning method estimates individual treatment effects from observational studies."),
    ("Graph neural networks and the Weisfeiler-Lehman test", "We characterise the expressive power of message passing networks on graph isomorphism."),
    ("Fairness in machine learning classifiers", "We audit demographic disparities in classification and propose a post-processing correction."),
    ("Explaining predictions with attribution maps", "Gradient-based saliency methods highlight the input pixels that drive an image classifier's decision."),
    ("Efficient attention for long sequences", "A linear-complexity attention approximation lets transformers process long inputs with less memory."),
    ("Mixture-of-experts language models", "We train a sparse mixture-of-experts transformer and study expert load balancing and scaling."),
    ("Reinforcement learning for portfolio optimisation", "A policy gradient agent allocates assets and is evaluated against classical mean-variance strategies."),
    ("Multi-agent reinforcement learning for traffic signal control", "Cooperative agents adjust traffic lights to reduce waiting times in a city simulator."),
    ("Quantum machine learning with variational circuits", "Parameterised quantum circuits classify small datasets on a simulated quantum device."),
)


def background_docs() -> list[Doc]:
    return [Doc(id=f"background:{i}", title=t, summary=s) for i, (t, s) in enumerate(BACKGROUND)]
