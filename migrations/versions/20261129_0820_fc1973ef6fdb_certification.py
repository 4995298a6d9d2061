"""certification: pass rules of cohorts, certificates

Revision ID: fc1973ef6fdb
Revises: b3f1c2d4e5a6
Create Date: 2026-11-29 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'fc1973ef6fdb'
down_revision: str | None = 'b3f1c2d4e5a6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# New tables only: nothing existing is copied or altered (see docs/architecture.md,
# "Migrations on SQLite never copy a table others cascade from").
def upgrade() -> None:
    op.create_table('pass_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('minimum_total', sa.Float(), nullable=False),
    sa.Column('must_not_fail', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_pass_rules_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_pass_rules_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_rules')),
    sa.UniqueConstraint('cohort_id', name=op.f('uq_pass_rules_cohort_id'))
    )
    op.create_table('pass_rule_assignments',
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_pass_rule_assignments_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['pass_rules.id'], name=op.f('fk_pass_rule_assignments_rule_id_pass_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', 'assignment_id', name=op.f('pk_pass_rule_assignments'))
    )
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=120), nullable=False),
    sa.Column('cohort_name', sa.String(length=120), nullable=False),
    sa.Column('scenarios', sa.JSON(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_certificates_cohort_id_cohorts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['holder_id'], ['users.id'], name=op.f('fk_certificates_holder_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_certificates_issued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_certificates_revoked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_certificates_code'))
    )
    op.create_index(op.f('ix_certificates_cohort_id'), 'certificates', ['cohort_id'], unique=False)
    op.create_index(op.f('ix_certificates_holder_id'), 'certificates', ['holder_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_certificates_holder_id'), table_name='certificates')
    op.drop_index(op.f('ix_certificates_cohort_id'), table_name='certificates')
    op.drop_table('certificates')
    op.drop_table('pass_rule_assignments')
    op.drop_table('pass_rules')
