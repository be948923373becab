import com.amazonaws.services.glue.GlueContext
import com.amazonaws.services.glue.util.{GlueArgParser, Job}
import org.apache.spark.SparkContext
import scala.collection.JavaConverters._

object DedupLedger {
  def main(sysArgs: Array[String]): Unit = {
    val glueContext = new GlueContext(new SparkContext())
    val args = GlueArgParser.getResolvedOptions(sysArgs, Seq("JOB_NAME", "input", "output").toArray)
    Job.init(args("JOB_NAME"), glueContext, args.asJava)
    val spark = glueContext.getSparkSession
    spark.read.parquet(args("input")).dropDuplicates("entry_id")
      .write.mode("overwrite").parquet(args("output"))
    Job.commit()
  }
}
