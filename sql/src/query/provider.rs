//! A storage table as a DataFusion [`TableProvider`]: it reads one pinned [`TableVersion`], with
//! the projection and simple filters pushed down to the storage scan (which prunes partitions,
//! files and row groups with them).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use tabvault_storage::{ScanRequest, TableVersion};

use crate::error::SqlError;
use crate::query::filters::to_predicate;

/// One pinned table version, readable by DataFusion.
#[derive(Debug)]
pub struct StorageTable {
    version: TableVersion,
    schema: SchemaRef,
    partitions: usize,
}

impl StorageTable {
    /// Reads `version`, splitting scan output into up to `partitions` DataFusion partitions.
    pub fn new(version: TableVersion, partitions: usize) -> Self {
        let schema = version.schema().arrow_schema();
        Self {
            version,
            schema,
            partitions: partitions.max(1),
        }
    }
}

#[async_trait]
impl TableProvider for StorageTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let table_schema = self.version.schema();
        let predicates = filters
            .iter()
            .filter_map(|f| to_predicate(f, table_schema))
            .collect();
        // An empty projection (COUNT(*)) still needs rows: read the first column, project it away.
        let (indices, memory_projection) = match projection {
            Some(p) if p.is_empty() => (vec![0], Some(vec![])),
            Some(p) => (p.clone(), None),
            None => ((0..self.schema.fields().len()).collect(), None),
        };
        let columns: Vec<String> = indices
            .iter()
            .filter_map(|i| self.schema.fields().get(*i).map(|f| f.name().clone()))
            .collect();
        let request = ScanRequest {
            columns: Some(columns),
            predicates,
            partitions: None,
        };
        let scan_schema = self
            .version
            .output_schema(&request)
            .map_err(|e| SqlError::from(e).into_datafusion())?;
        let batches = self
            .version
            .scan(&request)
            .map_err(|e| SqlError::from(e).into_datafusion())?;
        let mut parts: Vec<Vec<_>> = vec![Vec::new(); self.partitions.min(batches.len()).max(1)];
        let count = parts.len();
        for (i, batch) in batches.into_iter().enumerate() {
            parts[i % count].push(batch);
        }
        let exec = MemorySourceConfig::try_new_exec(&parts, scan_schema, memory_projection)?;
        Ok(exec)
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if to_predicate(f, self.version.schema()).is_some() {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }
}
