"""The chaos-driven GAN: chaotic latent sources, the generator and discriminator, data sets and
evaluation (Fréchet distance, sampling speed)."""
