package org.attn4j.tvm;

import org.jspecify.annotations.Nullable;

/**
 * The result of a packed call: a Java value ({@link Long}, {@link Double}, {@link String}), a
 * {@link TvmObject}, a {@link TvmModule}, a {@link TvmFunction}, or null.
 */
public final class TvmValue {
  private final @Nullable Object value;
  private final String what;

  TvmValue(@Nullable Object value, String what) {
    this.value = value;
    this.what = what;
  }

  /** The raw Java value, possibly null. */
  public @Nullable Object get() {
    return value;
  }

  /** Whether TVM returned null (or nothing). */
  public boolean isNull() {
    return value == null;
  }

  /** The value as an object; throws {@link TvmException} naming the call if it is something else. */
  public TvmObject asObject() {
    return as(TvmObject.class);
  }

  /** The value as a module. */
  public TvmModule asModule() {
    return as(TvmModule.class);
  }

  /** The value as a string. */
  public String asString() {
    return as(String.class);
  }

  /** The value as a long (TVM int and bool). */
  public long asLong() {
    return as(Long.class);
  }

  /** The value as a double. */
  public double asDouble() {
    return value instanceof Long l ? l.doubleValue() : as(Double.class);
  }

  private <T> T as(Class<T> type) {
    if (!type.isInstance(value)) {
      throw new TvmException(what, "expected a " + type.getSimpleName() + " result, got "
          + (value == null ? "null" : value.getClass().getSimpleName() + " " + value));
    }
    return type.cast(value);
  }

  @Override
  public String toString() {
    return String.valueOf(value);
  }
}
