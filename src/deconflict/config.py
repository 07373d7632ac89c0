"""The one Settings class: every knob is an environment variable `DECONFLICT_<NAME>`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of one deployment. Development is the embedded default: SQLite and
    a signing key generated beside it. Production refuses both."""

    model_config = SettingsConfigDict(env_prefix="DECONFLICT_", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Field(
        Path(".deconflict"), description="Where the embedded database and key live"
    )
    database_url: str | None = Field(None, description="SQLAlchemy URL; unset: SQLite in data_dir")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)

    token_issuer: str = "deconflict-local"  # noqa: S105 (a name, not a secret)
    token_audience: str = "deconflict"  # noqa: S105
    signing_key_file: Path | None = Field(
        None,
        description="PEM EC P-256 private key for local tokens; unset: data_dir/signing-key.pem",
    )
    token_ttl_s: int = Field(8 * 3600, gt=0)
    clock_skew_s: int = Field(30, ge=0)

    max_body_bytes: int = Field(1_000_000, gt=0)
    max_vertices: int = Field(1_000, ge=3)
    max_area_km2: float = Field(10_000.0, gt=0)
    max_volumes: int = Field(50, gt=0)
    max_window_s: float = Field(24 * 3600.0, gt=0)
    max_page_size: int = Field(500, gt=0)

    deadline_interval_s: float = Field(
        30.0, ge=0, description="How often the server acts on passed review deadlines; 0: never"
    )

    separation_horizontal_m: float = Field(50.0, ge=0)
    separation_vertical_m: float = Field(10.0, ge=0)
    separation_time_s: float = Field(60.0, ge=0)

    @model_validator(mode="after")
    def _no_development_defaults_in_production(self) -> Settings:
        if self.env != "development":
            if self.database_url is None:
                raise ValueError("DECONFLICT_DATABASE_URL must be set outside development")
            if self.signing_key_file is None:
                raise ValueError(
                    "DECONFLICT_SIGNING_KEY_FILE must name a provisioned key outside development; "
                    "the generated development key is refused"
                )
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'deconflict.db'}"

    @property
    def effective_signing_key_file(self) -> Path:
        return self.signing_key_file or self.data_dir / "signing-key.pem"
