package io.convoy.pipeline.train;

/**
 * Loss and accuracy of a model on a set of examples in inference mode.
 *
 * @param loss mean loss per example
 * @param accuracy fraction predicted right
 * @param examples examples evaluated
 */
public record Evaluation(double loss, double accuracy, int examples) {}
