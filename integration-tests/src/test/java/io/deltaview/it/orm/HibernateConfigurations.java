package io.deltaview.it.orm;

import io.deltaview.it.DeltaviewDatabase;
import java.util.Properties;
import org.hibernate.cfg.Configuration;

/** Hibernate as an application configures it over the Deltaview driver, for the ORM tests. */
final class HibernateConfigurations {
  private HibernateConfigurations() {}

  /**
   * Hibernate with {@code entity} mapped, PostgreSQL's dialect, no schema management, connecting to {@code db}
   * through the Deltaview driver with the URL option {@code option} ({@code key=value}).
   */
  static Configuration overDeltaview(DeltaviewDatabase db, Class<?> entity, String option) {
    Properties credentials = db.server.credentials();
    return new Configuration().addAnnotatedClass(entity)
        .setProperty("hibernate.connection.driver_class", "io.deltaview.driver.DeltaviewDriver")
        .setProperty("hibernate.connection.url", db.deltaviewUrl + (db.deltaviewUrl.contains("?") ? "&" : "?")
            + option)
        .setProperty("hibernate.connection.username", credentials.getProperty("user"))
        .setProperty("hibernate.connection.password", credentials.getProperty("password", ""))
        .setProperty("hibernate.dialect", "org.hibernate.dialect.PostgreSQLDialect")
        .setProperty("hibernate.hbm2ddl.auto", "none");
  }
}
